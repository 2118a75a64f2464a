with

source as (

    select * from {{ source('raw', 'ingest_quarantine') }}

),

renamed as (

    select
        source_file,
        line_number,
        reason,
        raw_text,
        trace_id,
        span_id,
        partition_date,
        quarantined_at

    from source

)

select * from renamed
