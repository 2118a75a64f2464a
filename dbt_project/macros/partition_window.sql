{#
    The daily partition window Dagster passes as vars `partition_start` / `partition_end`
    (ISO dates, half-open [start, end)). Without them, models process all history.
#}

{% macro partition_window() -%}
    {#- Returns none (all history) or a (start, end) pair of validated ISO date strings. -#}
    {%- set start = var('partition_start', none) -%}
    {%- set end = var('partition_end', none) -%}
    {%- if start is none and end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start is none or end is none -%}
        {{ exceptions.raise_compiler_error(
            "vars partition_start and partition_end go together (got start=" ~ start ~ ", end=" ~ end ~ ")") }}
    {%- endif -%}
    {%- set parsed = [] -%}
    {%- for value in [start, end] -%}
        {%- set text = value | string -%}
        {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', text) -%}
            {{ exceptions.raise_compiler_error("partition var " ~ text ~ " is not an ISO date (YYYY-MM-DD)") }}
        {%- endif -%}
        {%- do parsed.append(modules.datetime.datetime.strptime(text, '%Y-%m-%d').date()) -%}
    {%- endfor -%}
    {%- if parsed[0] >= parsed[1] -%}
        {{ exceptions.raise_compiler_error(
            "empty partition window: partition_start " ~ start ~ " must be before partition_end " ~ end) }}
    {%- endif -%}
    {{ return((parsed[0].isoformat(), parsed[1].isoformat())) }}
{%- endmacro %}


{% macro in_partition_window(column) -%}
    {#- A predicate keeping the rows of the run's partition window (all rows without one). -#}
    {%- set window = partition_window() -%}
    {%- if window is none -%}
        1 = 1
    {%- else -%}
        {{ column }} >= cast('{{ window[0] }}' as date) and {{ column }} < cast('{{ window[1] }}' as date)
    {%- endif -%}
{%- endmacro %}


{% macro clear_partition_window() -%}
    {#-
        Pre-hook of the incremental models. delete+insert only replaces the partition_date
        values present in the new rows, so a day that lost all its rows upstream (a re-ingested
        day, evaluations re-run to nothing) would keep its stale rows; clearing the whole window
        first, in the same transaction as the insert, makes a re-run exactly idempotent.
    -#}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_partition_window('partition_date') }}
    {%- endif -%}
{%- endmacro %}


{% macro daily_partitioned_config() -%}
    {#-
        The config of a model that grows per day: incremental over the partition window,
        replacing whole partition_date values, the window cleared first (see above). Dagster
        selects these models with `config.materialized:incremental` and passes the window.
    -#}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'partition_date',
        'pre_hook': '{{ clear_partition_window() }}',
    }) }}
{%- endmacro %}
