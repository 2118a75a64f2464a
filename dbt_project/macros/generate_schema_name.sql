{#
    Use a model's custom schema as-is (`marts.stage_funnel`, not `main_marts.stage_funnel`):
    the schema names are part of the public contract that dashboards and analysts query.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
