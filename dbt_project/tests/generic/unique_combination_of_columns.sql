{#
    The grain test: no two rows share the same values of `combination_of_columns`
    (dbt's built-in `unique` takes one column only).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

grain as (

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as rows_in_grain

    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select * from grain
where rows_in_grain > 1

{% endtest %}
