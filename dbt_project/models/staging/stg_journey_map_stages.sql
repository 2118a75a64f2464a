with

source as (

    select * from {{ source('raw', 'journey_map_stages') }}

),

renamed as (

    select
        journey_name,
        journey_display_name,
        journey_map_version,
        stage,
        stage_order,
        stage_count,
        stage_order = stage_count as is_last_stage,
        min_resolution,
        min_quality,
        min_context_retention,
        min_completion_rate

    from source

)

select * from renamed
