{#
    The one definition of a journey's cohort: cohort_week is the ISO week of the start of the
    journey's first rollup-eligible conversation, over all history. int_journeys and
    conversation_evaluations select it from here, and a cohort re-score reads it back from the
    marts (orchestration/scoring.py), so all three agree on which journeys a cohort holds.
#}
{% macro journey_cohorts() -%}
    select
        journey_id,
        min(started_at) as journey_started_at,
        {{ iso_week('min(started_at)') }} as cohort_week

    from {{ ref('stg_conversations') }}
    where is_rollup_eligible
    group by journey_id
{%- endmacro %}
