{#
    Spark SQL implementations of the project's dispatched macros (the DuckDB ones sit beside
    the macros they implement). Spark runs regular expressions with java.util.regex and, unlike
    DuckDB, unescapes backslashes in string literals.
#}

{% macro spark__type_float() -%}
    {#- Spark's FLOAT is 4 bytes, like DuckDB's: rates and means need the 8-byte double. -#}
    double
{%- endmacro %}

{% macro spark__iso_week(timestamp_expression) -%}
    {{ dbt.concat([
        "cast(extract(yearofweek from " ~ timestamp_expression ~ ") as string)",
        "'-W'",
        "lpad(cast(extract(week from " ~ timestamp_expression ~ ") as string), 2, '0')",
    ]) }}
{%- endmacro %}

{% macro spark__turn_texts(turns, role) -%}
    {%- set kept = turns if role is none else "filter(" ~ turns ~ ", turn -> turn.role = '" ~ role ~ "')" -%}
    coalesce(array_join(transform({{ kept }}, turn -> turn.text), chr(10)), '')
{%- endmacro %}

{% macro spark__ordered_listagg(measure, delimiter_text, order_by) -%}
    array_join(
        transform(
            array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'value', {{ measure }}))),
            item -> item.value
        ),
        {{ delimiter_text }}
    )
{%- endmacro %}

{% macro spark__regex_contains(text, pattern) -%}
    ({{ text }} rlike {{ pattern }})
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro spark__regex_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") }}'
{%- endmacro %}

{% macro spark__text_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- The card check of macros/pii.sql: network prefix and length, then the Luhn checksum. -#}
{% macro spark__contains_payment_card(text) -%}
    coalesce(exists(
        transform(
            regexp_extract_all({{ text }}, {{ pii_pattern('card_candidate') }}, 0),
            candidate -> regexp_replace(candidate, '[^0-9]', '')
        ),
        digits -> digits rlike {{ pii_pattern('card_brand') }}
            and aggregate(
                sequence(0, length(digits) - 1),
                0,
                (total, i) -> total
                    + cast(substr(digits, length(digits) - i, 1) as int) * (1 + i % 2)
                    - case when cast(substr(digits, length(digits) - i, 1) as int) * (1 + i % 2) > 9 then 9 else 0 end
            ) % 10 = 0
    ), false)
{%- endmacro %}

{#- The IBAN check of macros/pii.sql: ISO 13616's mod 97, digit by digit. -#}
{% macro spark__contains_iban(text) -%}
    coalesce(exists(
        transform(
            regexp_extract_all({{ text }}, {{ pii_pattern('iban_candidate') }}, 0),
            candidate -> replace(candidate, ' ', '')
        ),
        iban -> length(iban) between 15 and 34 and aggregate(
            transform(
                filter(split(substr(iban, 5) || substr(iban, 1, 4), ''), c -> c != ''),
                c -> case when c between '0' and '9' then ascii(c) - 48 else ascii(c) - 55 end
            ),
            0,
            (remainder, v) -> (remainder * case when v >= 10 then 100 else 10 end + v) % 97
        ) = 1
    ), false)
{%- endmacro %}
