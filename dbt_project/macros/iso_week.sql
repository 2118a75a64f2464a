{#
    ISO-8601 week label of a timestamp, zero-padded: '2026-W45'. The ISO year differs from the
    calendar year around New Year (2027-01-01 is in 2026-W53), so build it from the ISO year.
#}
{% macro iso_week(timestamp_expression) -%}
    {{ return(adapter.dispatch('iso_week', 'journeys')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__iso_week(timestamp_expression) -%}
    {{ dbt.concat([
        "cast(extract(isoyear from " ~ timestamp_expression ~ ") as " ~ dbt.type_string() ~ ")",
        "'-W'",
        "lpad(cast(extract(week from " ~ timestamp_expression ~ ") as " ~ dbt.type_string() ~ "), 2, '0')",
    ]) }}
{%- endmacro %}

{% macro duckdb__iso_week(timestamp_expression) -%}
    strftime({{ timestamp_expression }}, '%G-W%V')
{%- endmacro %}
