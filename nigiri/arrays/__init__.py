"""The array layer: the Array object, dtypes, promotion and the API functions."""
