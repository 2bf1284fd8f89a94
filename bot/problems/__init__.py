"""Problems: many posts, one root cause (SPEC "Problems"). Pure matching and decisions."""
