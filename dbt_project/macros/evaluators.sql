{#
    GENERATED from evals/registry.py by `python -m orchestration.dbt_evaluators`: do not edit.
    The evaluators whose verdicts the marts pivot into columns, keyed by the column prefix the
    marts use (`resolution_score`, `quality_passed`, ...), in the registry's order. The names
    are those in raw.evaluations.evaluator.
#}
{% macro evaluators() -%}
    {{ return({
        'resolution': 'conversation_resolution',
        'quality': 'customer_agent_conversation_quality',
        'context_retention': 'customer_agent_context_retention',
    }) }}
{%- endmacro %}
