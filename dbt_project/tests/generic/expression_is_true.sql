{#-
    Every row satisfies `expression` (a null result fails too, unless the expression handles
    null). Usable on a model or, for readability, under the column it is about.
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
