{#- Numbers written into the sentences a product manager reads (reason, explanation columns). -#}

{% macro percent_text(expression) -%}
    {{ dbt.concat([
        "cast(cast(round(100 * (" ~ expression ~ "), 0) as integer) as " ~ dbt.type_string() ~ ")",
        "'%'",
    ]) }}
{%- endmacro %}

{% macro decimal_text(expression) -%}
    cast(cast(round({{ expression }}, 2) as decimal(6, 2)) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro integer_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro text_literal(text) -%}
    {#- A string literal holding `text`; engines escape a quote differently ('' or \'). -#}
    {{ return(adapter.dispatch('text_literal', 'journeys')(text)) }}
{%- endmacro %}

{% macro default__text_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}
