#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "quire/base/error.h"
#include "quire/base/result.h"
#include "quire/base/sha256.h"
#include "quire/testing/result_matchers.h"

namespace quire {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::HasSubstr;

Result<int> Half(int n) {
  if (n % 2 != 0) return Error::InvalidArgument(std::to_string(n) + " is odd");
  return n / 2;
}

Result<int> Quarter(int n) {
  QUIRE_ASSIGN_OR_RETURN(const int half, Half(n));
  QUIRE_ASSIGN_OR_RETURN(const int quarter, Half(half));
  return quarter;
}

Result<void> CheckEven(int n) {
  QUIRE_RETURN_IF_ERROR(Half(n));
  return Ok();
}

TEST(ResultTest, CarriesValueOrError) {
  EXPECT_EQ(*Half(8), 4);
  EXPECT_THAT(Half(3), HasError(ErrorCode::kInvalidArgument, "3 is odd"));
}

TEST(ResultTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), HasError(ErrorCode::kInvalidArgument, "3 is odd"));
  EXPECT_THAT(CheckEven(4), IsOk());
  EXPECT_THAT(CheckEven(5), HasError(ErrorCode::kInvalidArgument));
}

TEST(ResultTest, MoveOnlyValuesAndConversions) {
  Result<std::unique_ptr<int>> owned = std::make_unique<int>(7);
  ASSERT_TRUE(owned.has_value());
  std::unique_ptr<int> taken = std::move(owned).value();
  EXPECT_EQ(*taken, 7);
  const Result<std::string> text = "converted from const char*";
  EXPECT_EQ(text->size(), 26u);
  const Result<int> failed = Error::NotFound("gone");
  EXPECT_EQ(failed.value_or(-1), -1);
  EXPECT_EQ(failed.error().code(), ErrorCode::kNotFound);
}

TEST(ResultDeathTest, ValueOfAFailedResultAbortsWithTheError) {
  const Result<int> failed = Error::Conflict("held by anna");
  EXPECT_DEATH({ (void)failed.value(); }, "value\\(\\) of a failed Result: conflict: held by anna");
  const Result<int> fine = 3;
  EXPECT_DEATH({ (void)fine.error(); }, "error\\(\\) of a successful Result");
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ErrorTest, NamesAreStable) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kNotFound), "not_found");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kValidationFailed), "validation_failed");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kConflict), "conflict");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUnavailable), "unavailable");
}

TEST(ErrorTest, ToStringIncludesDetailsAndContext) {
  Error e = Error::ValidationFailed("form rejected");
  e.AddDetail("amount", "must be at least 1");
  EXPECT_EQ(e.WithContext("completing task 7").ToString(),
            "validation_failed: completing task 7: form rejected; amount: must be at least 1");
  EXPECT_THAT(e.details(), ::testing::SizeIs(1));
}

}  // namespace
}  // namespace quire
