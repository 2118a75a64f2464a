-- Moves between two stages of the journey map. Context retention is read on the hand-offs
-- that bring a journey to a stage for the first time: that conversation is the one the
-- evaluator judges against the journey's earlier stages.

with

transitions as (

    select * from {{ ref('int_stage_transitions') }}
    where
        from_stage_order is not null
        and to_stage_order is not null

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

handoffs as (

    select
        journey_name,
        from_stage,
        to_stage,
        from_stage_order,
        to_stage_order,
        count(*) as transitions,
        count(distinct journey_id) as journeys,
        sum(case when is_first_entry then 1 else 0 end) as first_entries,
        sum(case when is_first_entry and context_retention_status = 'completed' then 1 else 0 end)
            as retention_judged,
        avg(case when is_first_entry then context_retention_score end) as avg_context_retention,
        sum(
            case
                when
                    is_first_entry and context_retention_status = 'completed' and not context_retention_passed
                    then 1
                else 0
            end
        ) as retention_failed

    from transitions
    group by
        journey_name,
        from_stage,
        to_stage,
        from_stage_order,
        to_stage_order

),

final as (

    select
        handoffs.journey_name,
        handoffs.from_stage,
        handoffs.to_stage,
        handoffs.from_stage_order,
        handoffs.to_stage_order,
        handoffs.to_stage_order = handoffs.from_stage_order + 1 as is_mapped_step,
        handoffs.transitions,
        handoffs.journeys,
        handoffs.first_entries,
        handoffs.retention_judged,
        handoffs.avg_context_retention,
        {{ rate('handoffs.retention_failed', 'handoffs.retention_judged') }} as retention_fail_rate,
        map_stages.min_context_retention,
        map_stages.journey_map_version

    from handoffs
    inner join map_stages
        on handoffs.journey_name = map_stages.journey_name
        and handoffs.to_stage = map_stages.stage

)

select * from final
