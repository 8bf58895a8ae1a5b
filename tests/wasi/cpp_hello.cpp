// C++ (libc++, -fno-exceptions): containers, algorithms, iostream.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<int> v = {5, 3, 8, 1, 2};
  std::sort(v.begin(), v.end());
  std::cout << "cpp: sorted";
  for (int x : v)
    std::cout << ' ' << x;
  std::cout << '\n';
  std::map<std::string, int> counts;
  for (const char* w : {"b", "a", "b"})
    ++counts[w];
  std::cout << "words:";
  for (const auto& [k, n] : counts)
    std::cout << ' ' << k << '=' << n;
  std::cout << '\n';
  auto p = std::make_unique<std::string>(argc > 1 ? argv[1] : "none");
  std::cout << "arg: " << *p << std::endl;
  return 0;
}
