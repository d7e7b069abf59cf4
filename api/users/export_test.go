package users

// For the package's external tests (an HTTP flood through package api).
var (
	SlowHashing    = slowHashing
	WithoutBackoff = withoutBackoff
)
