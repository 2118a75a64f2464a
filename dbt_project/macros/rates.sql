{#
    A rate in [0, 1] that is null, not 0, when its denominator is 0: "no journey entered"
    must not read as "no journey completed".
#}
{% macro rate(numerator, denominator) -%}
    case
        when coalesce({{ denominator }}, 0) = 0 then null
        else cast({{ numerator }} as {{ dbt.type_float() }}) / {{ denominator }}
    end
{%- endmacro %}


{% macro judged_pass_rate(prefix) -%}
    {#- Share of the rows the evaluator judged (status completed) that it passed; null when none. -#}
    {{ rate(
        "sum(case when " ~ prefix ~ "_status = 'completed' and " ~ prefix ~ "_passed then 1 else 0 end)",
        "sum(case when " ~ prefix ~ "_status = 'completed' then 1 else 0 end)",
    ) }}
{%- endmacro %}


{% macro eval_fail_rate() -%}
    {#-
        Share of conversations that failed any evaluator (`failed_any_evaluator`), the one
        definition of every mart's `eval_fail_rate`. Every conversation counts in the denominator,
        judged or not: one that no evaluator failed (passed, not applicable, evaluator error, not
        scored yet) is not failing.
    -#}
    {{ rate('sum(case when failed_any_evaluator then 1 else 0 end)', 'count(*)') }}
{%- endmacro %}
