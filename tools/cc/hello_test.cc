#include <iostream>
#include <string>
#include <vector>

int main() {
  std::vector<std::string> words = {"gcc", "from", "the", "build", "root"};
  std::string joined;
  for (const auto& word : words) joined += word + " ";
  std::cout << joined << std::endl;
  return joined.size() == 24 ? 0 : 1;
}
