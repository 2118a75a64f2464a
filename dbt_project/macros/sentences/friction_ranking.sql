{#-
    The sentence of marts.friction_ranking: how a cell completes against the journey, its CSAT,
    and the evaluator that explains it. Each part takes the columns it reads, named as the mart
    names them by default.
-#}

{#- "payment over sms for cohort 2026-W47 completes 25% vs 100% at earlier stages and its 4
    journeys with a CSAT average 1.00 vs 3.25 for the journey overall; <friction_signal_text>" -#}
{% macro friction_explanation(
    stage='stage', channel='channel', cohort_week='cohort_week', completion_rate='completion_rate',
    reference_completion_rate='reference_completion_rate',
    earlier_stages_completion_rate='earlier_stages_completion_rate',
    journeys_with_csat='journeys_with_csat', avg_csat='avg_csat', reference_avg_csat='reference_avg_csat'
) -%}
    {{ dbt.concat([
        stage, "' over '", channel, "' for cohort '", cohort_week, "' completes '",
        percent_text(completion_rate),
        "case when " ~ earlier_stages_completion_rate ~ " is null then "
            ~ dbt.concat(["' vs '", percent_text(reference_completion_rate), text_literal(" across the journey's stages")])
            ~ " else "
            ~ dbt.concat(["' vs '", percent_text(earlier_stages_completion_rate), "' at earlier stages'"])
            ~ " end",
        "case when " ~ journeys_with_csat ~ " > 0 then "
            ~ dbt.concat([
                "' and its '", integer_text(journeys_with_csat), "' journeys with a CSAT average '",
                decimal_text(avg_csat), "' vs '", decimal_text(reference_avg_csat),
                "' for the journey overall'",
            ])
            ~ " else '' end",
        "'; '",
        friction_signal_text(),
    ]) }}
{%- endmacro %}

{#- The evaluator that explains the cell, against its journey-map threshold. -#}
{% macro friction_signal_text(
    explaining_signal='explaining_signal', handoff_from_stage='handoff_from_stage',
    avg_handoff_retention='avg_handoff_retention', min_context_retention='min_context_retention',
    resolution_rate='resolution_rate', min_resolution='min_resolution', avg_quality='avg_quality',
    min_quality='min_quality'
) -%}
    case {{ explaining_signal }}
        when 'context_retention' then {{ dbt.concat([
            "'context retention on the hand-off from '", handoff_from_stage,
            "' is '", decimal_text(avg_handoff_retention),
            "' (threshold '", decimal_text(min_context_retention), "')'",
        ]) }}
        when 'resolution' then {{ dbt.concat([
            "'the resolution evaluator passes '", percent_text(resolution_rate),
            "' of its conversations (threshold '", percent_text(min_resolution), "')'",
        ]) }}
        when 'quality' then {{ dbt.concat([
            "'conversation quality averages '", decimal_text(avg_quality),
            "' (threshold '", decimal_text(min_quality), "')'",
        ]) }}
        else 'no evaluator score falls below its threshold: read the abandoned and escalated conversations'
    end
{%- endmacro %}
