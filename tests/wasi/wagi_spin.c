// WAGI guest that never finishes (for the timeout -> 504 test).
int main(void) {
  volatile unsigned long counter = 0;
  for (;;)
    counter = counter + 1;
}
