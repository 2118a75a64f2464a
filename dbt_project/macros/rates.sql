{#
    A rate in [0, 1] that is null, not 0, when its denominator is 0: "no journey entered"
    must not read as "no journey completed".
#}
{% macro rate(numerator, denominator) -%}
    case
        when coalesce({{ denominator }}, 0) = 0 then null
        else cast({{ numerator }} as {{ dbt.type_float() }}) / {{ denominator }}
    end
{%- endmacro %}
