package app

// TableBuilders exposes tableBuilders to the external tests.
var TableBuilders = tableBuilders
