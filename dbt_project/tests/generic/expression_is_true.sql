{#-
    Every row satisfies `expression` (a null result fails too, unless the expression handles
    null). Usable on a model or, for readability, under the column it is about.
    Home-made rather than dbt_utils.expression_is_true: `dbt deps` cannot reach the package
    hub from the machines this project is built on, so the project ships no packages.
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
