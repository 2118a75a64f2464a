{#
    dbt's portable float type renders FLOAT, which DuckDB reads as a 4-byte REAL: a rate of 1/3
    would come back as 0.3333333432674408. Rates and means need the 8-byte float every other
    warehouse means by FLOAT, so DuckDB gets DOUBLE (the root project wins dbt's dispatch).
#}
{% macro duckdb__type_float() -%}
    double
{%- endmacro %}
