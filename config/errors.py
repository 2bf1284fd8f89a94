"""The one exception a bad environment or config file raises."""


class ConfigError(Exception):
    """A configuration mistake, phrased as one line that names the key and the problem."""
