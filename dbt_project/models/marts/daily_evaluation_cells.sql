{{ config(**daily_partitioned_config()) }}

-- Per day and every dimension the dashboard filters on (journey, stage, channel, segment,
-- cohort week): conversation counts and, per evaluator, sums and counts, never averages, so
-- any selection of cells re-aggregates exactly (a mean is sum(score_sum) / sum(scored_count)).
-- The dashboard's per-stage evaluator figures, weekly fail-rate trend, day bounds and the
-- paging of its conversation lists read this instead of every conversation of the history.

with

conversations as (

    select * from {{ ref('conversation_evaluations') }}
    where {{ in_partition_window('partition_date') }}

),

final as (

    select
        journey_name,
        stage,
        channel,
        segment,
        cohort_week,
        count(*) as conversations,
        sum(case when failed_any_evaluator then 1 else 0 end) as failing_conversations,
        -- the Compliance page lists these apart (consent declined, or transcript removed)
        sum(
            case
                when not coalesce(ai_evaluation_consent, true) or not coalesce(transcript_kept, true) then 1
                else 0
            end
        ) as declined_conversations,
        {% for prefix in evaluators() %}
            sum({{ prefix }}_score) as {{ prefix }}_score_sum,
            count({{ prefix }}_score) as {{ prefix }}_scored_count,
            sum(case when {{ prefix }}_passed then 1 else 0 end) as {{ prefix }}_passed_count,
            count({{ prefix }}_passed) as {{ prefix }}_judged_count,
        {% endfor %}
        partition_date

    from conversations
    group by
        partition_date,
        journey_name,
        stage,
        channel,
        segment,
        cohort_week

)

select * from final
