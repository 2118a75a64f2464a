{#
    on-run-start: declare the raw sources over the Parquet lake the Python side writes
    (orchestration/lake.py), as external tables, and register the days written since the last
    run. Nothing to do on DuckDB, where the raw tables are in the warehouse itself.
#}

{% macro lake_sources() -%}
    {{ return(adapter.dispatch('lake_sources', 'journeys')()) }}
{%- endmacro %}

{% macro default__lake_sources() -%}
{%- endmacro %}

{% macro spark__lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('JOURNEYS_LAKE_DIR', '../data/lake') -%}
        {%- set tables = graph.sources.values() | selectattr('source_name', 'equalto', 'raw') | list -%}
        {%- do run_query('create database if not exists ' ~ tables[0].schema) -%}
        {%- for source in tables -%}
            {%- set relation = source.schema ~ '.' ~ source.name -%}
            {#- The lake writes each table's current columns to a zero-row file. -#}
            {%- set described = run_query(
                "describe query select * from parquet.`" ~ lake ~ "/_schema/" ~ source.name ~ ".parquet`") -%}
            {%- set columns = [] -%}
            {%- for row in described.rows -%}
                {%- do columns.append('`' ~ row[0] ~ '` ' ~ row[1]) -%}
            {%- endfor -%}
            {%- set partitioned = 'partition_date' in (described.columns[0].values() | list) -%}
            {#- A column added to the raw table since the table was declared: declare it again
                (dropping an external table leaves its files alone). -#}
            {%- set existing = adapter.get_columns_in_relation(api.Relation.create(schema=source.schema, identifier=source.name)) -%}
            {%- if existing and (existing | map(attribute='name') | list) != (described.columns[0].values() | list) -%}
                {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- endif -%}
            {%- do run_query(
                'create table if not exists ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                ~ (' partitioned by (partition_date)' if partitioned else '')
                ~ " location '" ~ lake ~ "/raw/" ~ source.name ~ "'") -%}
            {%- if partitioned -%}
                {%- do run_query('msck repair table ' ~ relation ~ ' sync partitions') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
