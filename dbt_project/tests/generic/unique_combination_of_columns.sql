{#
    The grain test: no two rows share the same values of `combination_of_columns`
    (dbt's built-in `unique` takes one column only). Home-made rather than
    dbt_utils.unique_combination_of_columns: `dbt deps` cannot reach the package hub from the
    machines this project is built on, so the project ships no packages.
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
