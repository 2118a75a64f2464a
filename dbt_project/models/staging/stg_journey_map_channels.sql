with

source as (

    select * from {{ source('raw', 'journey_map_channels') }}

),

renamed as (

    select
        journey_name,
        channel

    from source

)

select * from renamed
