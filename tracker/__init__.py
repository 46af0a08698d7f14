"""Post-treatment follow-up tracker."""
