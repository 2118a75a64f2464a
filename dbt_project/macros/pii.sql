{#
    The leak check: personal data still found in text that ingestion redacted
    (evals/redaction.py replaces it with [EMAIL], [PHONE], [CARD], [IBAN], [ADDRESS] before
    anything is stored), for the compliance mart. Emails, Luhn-valid card numbers and
    checksum-valid IBANs are detected exactly as the redactor detects them, so any found is a
    leak. Phone numbers and addresses are matched here by shape only (libphonenumber's
    validation has no SQL equivalent) and reported in stage_compliance; whether one is a leak is
    asked of the redactor itself (redactor_finds_pii below). Any leak fails the test
    stg_conversations_no_pii_leak. Patterns favour precision over recall: a compliance page that
    cries wolf gets ignored. Each kind is tested on examples in tests/dbt/test_dbt_pii.py.
#}

{% macro pii_pattern(kind) -%}
    {#- set blocks keep the backslashes literal (a quoted Jinja string would turn \b into a backspace) -#}
    {%- set email %}[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}{% endset -%}
    {%- set phone %}(^|[^0-9A-Za-z])(\+[1-9][0-9]{0,2}[ .-]?)?(\([0-9]{2,5}\)[ .-]?|[0-9]{2,5}[ .-])[0-9]{3,4}[ .-]?[0-9]{3,4}($|[^0-9A-Za-z]){% endset -%}
    {%- set card_candidate %}[0-9](?:[ -]?[0-9]){12,18}{% endset -%}
    {%- set card_brand %}^(4[0-9]{12}([0-9]{3}){0,2}|5[1-5][0-9]{14}|2(2[2-9][0-9]|[3-6][0-9]{2}|7[01][0-9]|720)[0-9]{12}|3[47][0-9]{13}|6(011|5[0-9]{2}|4[4-9][0-9])[0-9]{12,15}|35(2[89]|[3-8][0-9])[0-9]{12}|3(0[0-5]|[68][0-9])[0-9]{11})${% endset -%}
    {%- set street_address %}(?i)(^|[^0-9])[0-9]{1,5}[a-z]?( [a-z]+){1,3} (street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|terrace|crescent|highway|hwy)\b{% endset -%}
    {#- a UK postcode, or ', ' + a US state code + a ZIP code (the comma keeps 'order ID 12345' out) -#}
    {%- set postcode %}\b([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}|, ?(AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY) [0-9]{5}(-[0-9]{4})?)\b{% endset -%}
    {#- printed in groups of four, or unspaced (evals/redaction.py's pattern) -#}
    {%- set iban_candidate %}\b[A-Z]{2}[0-9]{2}(( [A-Z0-9]{4}){2,7}( [A-Z0-9]{1,4})?|[A-Z0-9]{11,30})\b{% endset -%}
    {%- set redaction_marker %}\[(REDACTED|EMAIL|PHONE|CARD|IBAN|ADDRESS|NAME|PII)[A-Z_ ]*\]|<[A-Z][A-Z_]{2,}>|\*{3,}[0-9]{0,4}{% endset -%}
    {%- set patterns = {
        'email': email,
        'phone': phone,
        'card_candidate': card_candidate,
        'card_brand': card_brand,
        'iban_candidate': iban_candidate,
        'street_address': street_address,
        'postcode': postcode,
        'redaction_marker': redaction_marker,
    } -%}
    {%- if kind not in patterns -%}
        {{ exceptions.raise_compiler_error("unknown PII pattern " ~ kind ~ "; known: " ~ patterns.keys() | list) }}
    {%- endif -%}
    {{ regex_literal(patterns[kind]) }}
{%- endmacro %}


{% macro contains_payment_card(text) -%}
    {{ return(adapter.dispatch('contains_payment_card', 'journeys')(text)) }}
{%- endmacro %}

{% macro default__contains_payment_card(text) -%}
    {{ exceptions.raise_compiler_error("contains_payment_card has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#
    A digit run is a card number when it has a card network's prefix and length and passes the
    Luhn checksum; the checksum rejects ~90% of order and ticket numbers that merely look long.
#}
{% macro duckdb__contains_payment_card(text) -%}
    coalesce(list_bool_or(list_transform(
        list_transform(
            regexp_extract_all({{ text }}, {{ pii_pattern('card_candidate') }}),
            lambda candidate: regexp_replace(candidate, '[^0-9]', '', 'g')
        ),
        lambda digits: regexp_matches(digits, {{ pii_pattern('card_brand') }})
            and list_sum(list_transform(
                range(length(digits)),
                lambda i: cast(substr(digits, length(digits) - i, 1) as integer) * (1 + i % 2)
                    - case when cast(substr(digits, length(digits) - i, 1) as integer) * (1 + i % 2) > 9 then 9 else 0 end
            )) % 10 = 0
    )), false)
{%- endmacro %}


{% macro contains_iban(text) -%}
    {{ return(adapter.dispatch('contains_iban', 'journeys')(text)) }}
{%- endmacro %}

{% macro default__contains_iban(text) -%}
    {{ exceptions.raise_compiler_error("contains_iban has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#
    An IBAN candidate is an IBAN when it passes ISO 13616's check: country code and check digits
    moved to the end, letters read as 10..35, the number mod 97 is 1 (computed digit by digit, as
    the number is too long for any integer type).
#}
{% macro duckdb__contains_iban(text) -%}
    coalesce(list_bool_or(list_transform(
        list_transform(
            regexp_extract_all({{ text }}, {{ pii_pattern('iban_candidate') }}),
            lambda candidate: replace(candidate, ' ', '')
        ),
        lambda iban: length(iban) between 15 and 34 and list_reduce(
            list_transform(
                string_split(substr(iban, 5) || substr(iban, 1, 4), ''),
                lambda c: case when c between '0' and '9' then ascii(c) - 48 else ascii(c) - 55 end
            ),
            lambda remainder, v: (remainder * case when v >= 10 then 100 else 10 end + v) % 97,
            0
        ) = 1
    )), false)
{%- endmacro %}


{% macro redactor_finds_pii(text) -%}
    {{ return(adapter.dispatch('redactor_finds_pii', 'journeys')(text)) }}
{%- endmacro %}

{#
    Does ingestion's redactor still find personal data of any type in the text? A phone number
    is one only when libphonenumber validates it (four in ten NANP-shaped numbers are not), so
    the redactor answers, through journeys_pii_types(text), which the dbt-duckdb plugin
    orchestration/dbt_pii_plugin.py registers on every connection.
#}
{% macro duckdb__redactor_finds_pii(text) -%}
    coalesce(len(journeys_pii_types({{ text }})) > 0, false)
{%- endmacro %}

{#
    Spark SQL has no libphonenumber and dbt-spark no hook to register a Python function: on
    Spark the leak check is the exact email, card and IBAN checks alone (docs/privacy.md).
#}
{% macro spark__redactor_finds_pii(text) -%}
    false
{%- endmacro %}
