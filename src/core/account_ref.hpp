#pragma once
// What a tenant types as the account number of a paybill payment (BillRefNumber) and a lease's account reference,
// reduced to one key so that "b-4", "B 04" and "Apt B4" all find the lease whose reference is "B4". The rules
// (docs/account-numbers.md):
//   1. ASCII letters are upper-cased; every other character (spaces, - _ . / # , : and anything non-ASCII) only
//      separates.
//   2. The text is cut into tokens: runs of letters and runs of digits ("4B" is the tokens 4 and B).
//   3. A unit word (APARTMENT, APT, UNIT, HOUSE, HSE, HS, FLAT, ROOM, RM, DOOR), optionally followed by NO, NUMBER
//      or NBR, is dropped when another token follows it ("House No. 4B" -> 4 B). A leading NO followed by a
//      token is dropped too ("No. 4B").
//   4. Leading zeros of a digit run are dropped, keeping one digit ("B04" -> B 4, "000" -> 0).
//   5. The tokens are joined without separators, except that two digit runs in a row keep a "-" between them
//      ("1-5" stays 1-5, so it never becomes unit 15).
// The result is empty when nothing is left; an empty key matches nothing.
#include <string>
#include <string_view>

namespace haven::core {

/// The matching key of an account number or a lease's account reference (rules above).
std::string NormalizeAccountRef(std::string_view typed);

}  // namespace haven::core
