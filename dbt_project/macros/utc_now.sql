{#- The build time as a naive UTC timestamp, like every other timestamp in the warehouse. -#}
{% macro utc_now() -%}
    {{ return(adapter.dispatch('utc_now', 'journeys')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    {{ dbt.current_timestamp_in_utc_backcompat() }}
{%- endmacro %}

{% macro duckdb__utc_now() -%}
    timezone('UTC', now())
{%- endmacro %}
