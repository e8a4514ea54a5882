// AclUser on its own: every rule family (on/off, passwords by text and by hash, nopass/resetpass,
// key patterns by access, channels, categories, commands and subcommands, reset), the rule texts
// ACL LIST and GETUSER show, Redis's error reasons, and the SESSION.GET TOUCH permission.
#include "server/acl_user.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace latchkey {
namespace {

const CommandTable& Table() {
  static const CommandTable table = BuildCommandTable();
  return table;
}

class AclUserTest : public ::testing::Test {
 protected:
  AclUser Make(const std::vector<std::string>& rules) {
    AclUser user("u", Table());
    for (const std::string& rule : rules) EXPECT_EQ(user.Apply(rule), std::nullopt) << rule;
    return user;
  }
  // The verdict for a command line, resolved as the dispatcher resolves it.
  static AclUser::Verdict Check(const AclUser& user, std::vector<std::string_view> args) {
    const CommandSpec* spec = Table().Find(args[0]);
    EXPECT_NE(spec, nullptr) << args[0];
    if (!spec->subcommands.empty()) spec = CommandTable::FindSub(*spec, args[1]);
    return user.Check(*spec, args);
  }
  static bool Allowed(const AclUser& user, std::vector<std::string_view> args) {
    return Check(user, std::move(args)).denied == AclUser::Denied::kNone;
  }
};

TEST_F(AclUserTest, ANewUserIsOffAndMayDoNothing) {
  AclUser user("u", Table());
  EXPECT_FALSE(user.enabled());
  EXPECT_FALSE(user.CheckPassword(""));
  EXPECT_EQ(user.Describe(), "user u off resetchannels -@all");
  EXPECT_EQ(Check(user, {"get", "k"}).denied, AclUser::Denied::kCommand);
  EXPECT_EQ(Check(user, {"get", "k"}).object, "get");
}

TEST_F(AclUserTest, TheDefaultUsersRulesLeaveNothingRestricted) {
  const AclUser user = Make({"on", "nopass", "~*", "&*", "+@all"});
  EXPECT_TRUE(user.unrestricted());
  EXPECT_TRUE(user.CheckPassword("anything"));
  EXPECT_EQ(user.Describe(), "user u on nopass ~* &* +@all");
}

TEST_F(AclUserTest, PasswordsByTextAndByHash) {
  AclUser user = Make({"on", ">alpha", ">beta"});
  EXPECT_TRUE(user.CheckPassword("alpha"));
  EXPECT_TRUE(user.CheckPassword("beta"));
  EXPECT_FALSE(user.CheckPassword("gamma"));
  EXPECT_FALSE(user.CheckPassword(""));
  EXPECT_EQ(user.PasswordHexes().size(), 2u);
  EXPECT_EQ(user.Apply("<alpha"), std::nullopt);
  EXPECT_FALSE(user.CheckPassword("alpha"));
  EXPECT_EQ(user.Apply("<alpha"), "The password you are trying to remove from the user does not exist");
  // SHA-256("gamma"), added and removed by hash.
  const std::string gamma = "be9d587defa1f0c09ef49eb17e206983a5f8f8289e4281860bd0ee5a19592c67";
  EXPECT_EQ(user.Apply("#" + gamma), std::nullopt);
  EXPECT_TRUE(user.CheckPassword("gamma"));
  EXPECT_EQ(user.Apply("!" + gamma), std::nullopt);
  EXPECT_FALSE(user.CheckPassword("gamma"));
  const std::string bad =
      "The password hash must be exactly 64 characters and contain only lowercase "
      "hexadecimal characters";
  EXPECT_EQ(user.Apply("#abc"), bad);
  std::string upper = gamma;
  upper[0] = 'E';
  EXPECT_EQ(user.Apply("#" + upper), bad);
  EXPECT_EQ(user.Apply("nopass"), std::nullopt);
  EXPECT_TRUE(user.CheckPassword("whatever"));
  EXPECT_TRUE(user.PasswordHexes().empty());
  EXPECT_EQ(user.Apply("resetpass"), std::nullopt);
  EXPECT_FALSE(user.CheckPassword("whatever"));
}

TEST_F(AclUserTest, CategoriesCommandsAndSubcommands) {
  AclUser user = Make({"on", "~*", "+@read", "-strlen", "+config|get"});
  EXPECT_TRUE(Allowed(user, {"get", "k"}));
  EXPECT_FALSE(Allowed(user, {"strlen", "k"}));
  EXPECT_FALSE(Allowed(user, {"set", "k", "v"}));
  EXPECT_TRUE(Allowed(user, {"config", "get", "port"}));
  EXPECT_EQ(Check(user, {"config", "set", "port", "1"}).object, "config|set");
  EXPECT_EQ(user.CommandRules(), "-@all +@read -strlen +config|get");
  EXPECT_EQ(user.Apply("+config"), std::nullopt);  // the whole command: every subcommand
  EXPECT_TRUE(Allowed(user, {"config", "set", "port", "1"}));
  EXPECT_EQ(user.Apply("allcommands"), std::nullopt);
  EXPECT_EQ(user.CommandRules(), "+@all");
  EXPECT_TRUE(Allowed(user, {"flushall"}));
  EXPECT_EQ(user.Apply("-@dangerous"), std::nullopt);
  EXPECT_FALSE(Allowed(user, {"flushall"}));
  EXPECT_TRUE(Allowed(user, {"set", "k", "v"}));
  EXPECT_EQ(user.Apply("+nosuch"), "Unknown command or category name in ACL");
  EXPECT_EQ(user.Apply("+@nosuch"), "Unknown command or category name in ACL");
  EXPECT_EQ(user.Apply("+config|nosuch"), "Unknown command or category name in ACL");
  EXPECT_EQ(user.Apply("bogus"), "Syntax error");
}

TEST_F(AclUserTest, SessionGetTouchNeedsIssueRights) {
  AclUser user = Make({"on", "+@lk-verify"});
  EXPECT_TRUE(Allowed(user, {"session.get", "s1_x"}));
  EXPECT_FALSE(Allowed(user, {"session.get", "s1_x", "TOUCH"}));
  EXPECT_TRUE(Allowed(user, {"deny.check", "iss", "jti"}));
  EXPECT_FALSE(Allowed(user, {"deny.add", "iss", "jti", "1"}));
  // SUBSCRIBE is in @lk-verify; the channel still needs a pattern (none given here).
  EXPECT_EQ(Check(user, {"subscribe", "lk:revocations"}).denied, AclUser::Denied::kChannel);
  AclUser issuer = Make({"on", "+@lk-verify", "+@lk-issue"});
  EXPECT_TRUE(Allowed(issuer, {"session.get", "s1_x", "touch"}));
  AclUser by_name = Make({"on", "+session.get"});
  EXPECT_TRUE(Allowed(by_name, {"session.get", "s1_x", "TOUCH"}));
  EXPECT_EQ(by_name.Apply("-@lk-issue"), std::nullopt);
  EXPECT_FALSE(Allowed(by_name, {"session.get", "s1_x", "TOUCH"}));
  EXPECT_TRUE(Allowed(by_name, {"session.get", "s1_x"}));
}

TEST_F(AclUserTest, KeyPatternsByAccess) {
  AclUser user = Make({"on", "+@all", "~a*", "%R~r*", "%W~w*"});
  EXPECT_EQ(user.KeyRules(), "~a* %R~r* %W~w*");
  EXPECT_TRUE(Allowed(user, {"get", "a1"}));
  EXPECT_TRUE(Allowed(user, {"set", "a1", "v"}));
  EXPECT_TRUE(Allowed(user, {"get", "r1"}));
  EXPECT_EQ(Check(user, {"set", "r1", "v"}).denied, AclUser::Denied::kKey);
  EXPECT_TRUE(Allowed(user, {"set", "w1", "v"}));
  EXPECT_EQ(Check(user, {"get", "w1"}).object, "w1");
  EXPECT_EQ(Check(user, {"mget", "a1", "r1", "x"}).object, "x");
  EXPECT_TRUE(Allowed(user, {"ping"}));  // no keys, nothing to match
  EXPECT_EQ(user.Apply("%X~z*"), "Syntax error");
  EXPECT_EQ(user.Apply("resetkeys"), std::nullopt);
  EXPECT_FALSE(Allowed(user, {"get", "a1"}));
  EXPECT_EQ(user.Apply("allkeys"), std::nullopt);
  EXPECT_TRUE(Allowed(user, {"get", "anything"}));
  EXPECT_EQ(user.KeyRules(), "~*");
}

TEST_F(AclUserTest, ChannelPatterns) {
  AclUser user = Make({"on", "+@all", "&news*"});
  EXPECT_EQ(user.ChannelRules(), "&news*");
  EXPECT_TRUE(Allowed(user, {"publish", "news1", "m"}));
  EXPECT_EQ(Check(user, {"publish", "sports", "m"}).denied, AclUser::Denied::kChannel);
  EXPECT_TRUE(Allowed(user, {"subscribe", "news1", "news2"}));
  EXPECT_EQ(Check(user, {"subscribe", "news1", "sports"}).object, "sports");
  EXPECT_TRUE(Allowed(user, {"psubscribe", "news*"}));    // the same pattern, verbatim
  EXPECT_FALSE(Allowed(user, {"psubscribe", "news1*"}));  // narrower, but not one of the user's
  EXPECT_EQ(user.Describe(), "user u on resetchannels &news* +@all");
  EXPECT_EQ(user.Apply("allchannels"), std::nullopt);
  EXPECT_TRUE(Allowed(user, {"publish", "sports", "m"}));
  EXPECT_EQ(user.Describe(), "user u on &* +@all");
}

TEST_F(AclUserTest, ResetReturnsToANewUser) {
  AclUser user = Make({"on", ">pw", "~*", "&*", "+@all"});
  EXPECT_EQ(user.Apply("reset"), std::nullopt);
  EXPECT_EQ(user.Describe(), "user u off resetchannels -@all");
  EXPECT_FALSE(user.CheckPassword("pw"));
}

}  // namespace
}  // namespace latchkey
