{#-
    The sentences of marts.routing_signals, one macro per kind. Each takes the columns it reads,
    named as the mart names them by default.
-#}

{#- The cell a signal is about: "cohort 2026-W47, segment smb from 2026-11-16 to 2026-11-22",
    "every cohort on sms from 2026-11-16 to 2026-11-22"; a preferred channel is named in its own
    sentence, so not here. -#}
{% macro routing_cell_text(
    cohort_week='cohort_week', segment='segment', channel='channel', recommendation='recommendation',
    window_start='window_start', as_of_date='as_of_date'
) -%}
    {{ dbt.concat([
        "coalesce(" ~ dbt.concat(["'cohort '", cohort_week]) ~ ", 'every cohort')",
        "coalesce(" ~ dbt.concat(["', segment '", segment]) ~ ", '')",
        "case when " ~ recommendation ~ " like 'prefer_channel:%' then '' else coalesce("
            ~ dbt.concat(["' on '", channel]) ~ ", '') end",
        "' from '", integer_text(window_start),
        "' to '", integer_text(as_of_date),
    ]) }}
{%- endmacro %}

{#- route_to_human_earlier: the stage resolves too few of the cell's conversations. -#}
{% macro route_to_human_earlier_reason(
    stage='stage', observed_value='observed_value', cell_text='cell_text', threshold='threshold',
    conversations='conversations'
) -%}
    {{ dbt.concat([
        stage, "' resolves '", percent_text(observed_value), "' of conversations for '", cell_text,
        "' (threshold '", percent_text(threshold), "', '", integer_text(conversations),
        "' conversations): hand these customers to a human agent earlier at '", stage, "'.'",
    ]) }}
{%- endmacro %}

{#- add_context_bridge: hand-offs into the stage lose the customer's context. -#}
{% macro add_context_bridge_reason(
    stage='stage', observed_value='observed_value', cell_text='cell_text', threshold='threshold',
    conversations='conversations'
) -%}
    {{ dbt.concat([
        "'Hand-offs into '", stage, text_literal(" keep the customer's context at "), decimal_text(observed_value),
        "' for '", cell_text, "' (threshold '", decimal_text(threshold), "', '",
        integer_text(conversations), "' hand-offs): pass what the customer said at earlier stages to the '",
        stage, "' agent.'",
    ]) }}
{%- endmacro %}

{#- prefer_channel:<channel>: the channel resolves better and its journeys rate CSAT higher. -#}
{% macro prefer_channel_reason(
    stage='stage', channel='channel', observed_value='observed_value', comparison_value='comparison_value',
    cell_text='cell_text', conversations='conversations', comparison_conversations='comparison_conversations',
    channel_csat_lift='channel_csat_lift', channel_csat_journeys='channel_csat_journeys',
    other_csat_journeys='other_csat_journeys'
) -%}
    {{ dbt.concat([
        "'At '", stage, "', '", channel, "' resolves '", percent_text(observed_value), "' vs '",
        percent_text(comparison_value), "' on other channels for '", cell_text, "' ('",
        integer_text(conversations), "' vs '", integer_text(comparison_conversations),
        "' conversations), and journeys that use '", channel, "' rate CSAT '",
        decimal_text(channel_csat_lift), "' higher than those that do not ('",
        integer_text(channel_csat_journeys), "' vs '", integer_text(other_csat_journeys),
        "' journeys with a CSAT): prefer '", channel, "' at this stage.'",
    ]) }}
{%- endmacro %}
