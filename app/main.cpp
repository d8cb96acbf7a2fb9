// Placeholder until the dispatcher lands.
int main() { return 0; }
