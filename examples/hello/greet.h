int greet_len(const char *name);
