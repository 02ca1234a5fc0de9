"""Stories and trends: the same news from many providers, grouped; which topics rise."""
