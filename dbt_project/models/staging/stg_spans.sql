-- A view: nothing downstream aggregates spans, and a copy of the largest table would only
-- double the warehouse. It gives analysts the span attributes under the staging conventions.

with

source as (

    select * from {{ source('raw', 'spans') }}

),

renamed as (

    select
        trace_id,
        span_id,
        parent_span_id,
        conversation_id,
        name as span_name,
        kind as span_kind,
        start_time as started_at,
        end_time as ended_at,
        status_code,
        status_message,
        scope_name,
        scope_version,
        scope_attributes,
        attributes,
        resource_attributes,
        links,
        trace_state,
        flags,
        source_file,
        partition_date,
        ingested_at

    from source

)

select * from renamed
