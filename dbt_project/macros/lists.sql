{#
    List and regex functions differ between engines; the models call these, and each engine has
    its implementation (DuckDB below, Spark in macros/spark/).
#}

{% macro turn_texts(turns, role=none) -%}
    {#- The texts of a conversation's turns (of one role when given), one per line; '' when none. -#}
    {{ return(adapter.dispatch('turn_texts', 'journeys')(turns, role)) }}
{%- endmacro %}

{% macro duckdb__turn_texts(turns, role) -%}
    {%- set kept = turns if role is none else "list_filter(" ~ turns ~ ", lambda turn: turn.role = '" ~ role ~ "')" -%}
    coalesce(array_to_string(list_transform({{ kept }}, lambda turn: turn.text), chr(10)), '')
{%- endmacro %}


{% macro ordered_listagg(measure, delimiter_text, order_by) -%}
    {#- dbt.listagg with an order; dbt-spark's listagg ignores the order, so Spark sorts itself. -#}
    {{ return(adapter.dispatch('ordered_listagg', 'journeys')(measure, delimiter_text, order_by)) }}
{%- endmacro %}

{% macro default__ordered_listagg(measure, delimiter_text, order_by) -%}
    {{ dbt.listagg(measure, delimiter_text, 'order by ' ~ order_by) }}
{%- endmacro %}


{% macro regex_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regex_contains', 'journeys')(text, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_contains(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}


{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'journeys')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}


{% macro regex_literal(pattern) -%}
    {#- A regular expression as a SQL string literal (the patterns hold no quote). -#}
    {{ return(adapter.dispatch('regex_literal', 'journeys')(pattern)) }}
{%- endmacro %}

{% macro default__regex_literal(pattern) -%}
    '{{ pattern }}'
{%- endmacro %}
