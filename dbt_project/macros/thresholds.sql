{#
    Comparisons of a computed value with a threshold (a journey-map threshold, a var, a severity
    cut-off). An average re-computed over the same rows can differ in its last binary digit
    (0.94000000000000001 vs 0.93999999999999998), which must not flip a verdict between two
    materializations: each comparison allows var('threshold_tolerance'). The stored values are
    never rounded. Python's copy of the tolerance is orchestration.journey_map.THRESHOLD_TOLERANCE.
#}

{#- value >= bar, allowing for rounding. -#}
{% macro at_least(value, bar) -%}
    ({{ value }}) >= ({{ bar }}) - {{ var('threshold_tolerance') }}
{%- endmacro %}

{#- value < bar by more than rounding: the negation of at_least. -#}
{% macro below(value, bar) -%}
    ({{ value }}) < ({{ bar }}) - {{ var('threshold_tolerance') }}
{%- endmacro %}

{#- value <= bar, allowing for rounding. -#}
{% macro at_most(value, bar) -%}
    ({{ value }}) <= ({{ bar }}) + {{ var('threshold_tolerance') }}
{%- endmacro %}

{#- value > bar by more than rounding: the negation of at_most. -#}
{% macro above(value, bar) -%}
    ({{ value }}) > ({{ bar }}) + {{ var('threshold_tolerance') }}
{%- endmacro %}
