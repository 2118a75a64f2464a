{#
    The daily partition window Dagster passes as vars `partition_start` / `partition_end`
    (ISO dates, half-open [start, end)). Without them, models process all history.
#}

{% macro iso_date_var(name) -%}
    {#- The value of an ISO-date var (YYYY-MM-DD) as a date; none when unset; a clear error otherwise. -#}
    {%- set value = var(name, none) -%}
    {%- if value is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ "=" ~ text ~ " is not an ISO date (YYYY-MM-DD)") }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.strptime(text, '%Y-%m-%d').date()) }}
{%- endmacro %}


{% macro partition_window() -%}
    {#- Returns none (all history) or the (start, end) pair of ISO date strings. -#}
    {%- set start = iso_date_var('partition_start') -%}
    {%- set end = iso_date_var('partition_end') -%}
    {%- if start is none and end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start is none or end is none -%}
        {{ exceptions.raise_compiler_error(
            "vars partition_start and partition_end go together (got start=" ~ start ~ ", end=" ~ end ~ ")") }}
    {%- endif -%}
    {%- if start >= end -%}
        {{ exceptions.raise_compiler_error(
            "empty partition window: partition_start " ~ start ~ " must be before partition_end " ~ end) }}
    {%- endif -%}
    {{ return((start.isoformat(), end.isoformat())) }}
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
    {{ return(adapter.dispatch('clear_partition_window', 'journeys')()) }}
{%- endmacro %}


{% macro default__clear_partition_window() -%}
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
    {{ return(adapter.dispatch('daily_partitioned_config', 'journeys')()) }}
{%- endmacro %}


{% macro default__daily_partitioned_config() -%}
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
