{#-
    The sentence of marts.journey_guard for a net-negative change: what improved at the stage and
    what fell at the next one.
-#}

{#- "completion 60% to 80%" or "hand-off retention 0.60 to 0.70": the measure that moved. -#}
{% macro guard_change_text(moved_condition, previous_rate, recent_rate, previous_retention, recent_retention) -%}
    case when {{ moved_condition }} then {{ dbt.concat([
        "'completion '", percent_text(previous_rate), "' to '", percent_text(recent_rate),
    ]) }} else {{ dbt.concat([
        "'hand-off retention '", decimal_text(previous_retention), "' to '", decimal_text(recent_retention),
    ]) }} end
{%- endmacro %}

{#- "<stage> improved (...) while <next stage> fell (...): check whether ..." -#}
{% macro net_negative_explanation(relation='paired') -%}
    {{ dbt.concat([
        relation ~ ".stage", "' improved ('",
        guard_change_text(
            at_least(relation ~ '.completion_change', var('guard_min_change')),
            relation ~ '.previous_completion_rate', relation ~ '.recent_completion_rate',
            relation ~ '.previous_context_retention', relation ~ '.recent_context_retention',
        ),
        "') while '", relation ~ ".next_stage", "' fell ('",
        guard_change_text(
            at_most(relation ~ '.next_stage_completion_change', -var('guard_min_change')),
            relation ~ '.next_stage_previous_completion_rate', relation ~ '.next_stage_recent_completion_rate',
            relation ~ '.next_stage_previous_context_retention', relation ~ '.next_stage_recent_context_retention',
        ),
        "'): check whether the change at '", relation ~ ".stage", "' pushes harder cases on to '",
        relation ~ ".next_stage", "'.'",
    ]) }}
{%- endmacro %}
