// Address labels as a PDF for standard A4 label sheets, laid out with Pango (so Polish
// letters and long names render and wrap properly) and written with cairo.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"

namespace quire::crm {

struct LabelSheet {
  std::string name;
  int columns, rows;
  double label_width_mm, label_height_mm;
  double top_mm, left_mm;  // margins of the sheet
  double column_gap_mm, row_gap_mm;
};

// The sheets Quire knows: L7160 (Avery, 3 x 7, 63.5 x 38.1 mm) and 3x8 (70 x 37 mm, the
// sheets sold in Poland). Errors: kInvalidArgument naming them.
Result<LabelSheet> FindLabelSheet(std::string_view name);

// One label per entry (its lines: name, company, street, postal code and city, country),
// as many pages as needed.
std::string AddressLabelsPdf(const std::vector<std::vector<std::string>>& labels,
                             const LabelSheet& sheet);

}  // namespace quire::crm
