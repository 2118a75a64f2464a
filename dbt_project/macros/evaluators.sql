{#
    The evaluators whose verdicts the marts pivot into columns, keyed by the column prefix the
    marts use (`resolution_score`, `quality_passed`, `context_retention_reason`, ...). The
    names are those in raw.evaluations.evaluator (docs/architecture.md).
#}
{% macro evaluators() -%}
    {{ return({
        'resolution': 'conversation_resolution',
        'quality': 'customer_agent_conversation_quality',
        'context_retention': 'customer_agent_context_retention',
    }) }}
{%- endmacro %}


{% macro judged_pass_rate(prefix) -%}
    {#- Share of the rows the evaluator judged (status completed) that it passed; null when none. -#}
    {{ rate(
        "sum(case when " ~ prefix ~ "_status = 'completed' and " ~ prefix ~ "_passed then 1 else 0 end)",
        "sum(case when " ~ prefix ~ "_status = 'completed' then 1 else 0 end)",
    ) }}
{%- endmacro %}
