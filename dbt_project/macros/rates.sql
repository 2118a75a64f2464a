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
