{#
    The daily partitioned models on Spark: Parquet tables partitioned by partition_date,
    rebuilt with insert_overwrite (dynamic partition overwrite replaces the days the new rows
    hold). Delta or Iceberg: set `file_format` here on a cluster with their jars (docs/deploy.md).
#}

{% macro spark__daily_partitioned_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['partition_date'],
        'file_format': 'parquet',
        'pre_hook': '{{ clear_partition_window() }}',
    }) }}
{%- endmacro %}


{% macro spark__clear_partition_window() -%}
    {#-
        A Parquet table has no `delete`; and insert_overwrite only replaces the days present
        in the new rows, so a day left empty by a re-run would keep its stale rows. Drop the
        window's partitions first (all of them when there is no window).
    -#}
    {%- if is_incremental() -%}
        {%- set window = partition_window() -%}
        {%- if window is none -%}
            truncate table {{ this }}
        {%- else -%}
            {%- set start = modules.datetime.date.fromisoformat(window[0]) -%}
            {%- set days = (modules.datetime.date.fromisoformat(window[1]) - start).days -%}
            alter table {{ this }} drop if exists
            {%- for offset in range(days) %}
                partition (partition_date = date'{{ (start + modules.datetime.timedelta(days=offset)).isoformat() }}'){{ "," if not loop.last }}
            {%- endfor %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
