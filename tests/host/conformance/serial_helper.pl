#!/usr/bin/perl
# A deliberately weak helper for the conformance kit's tests: it parses
# requests correctly but works on one at a time, spends 60 ms on every
# wrong password (as a slow hash or a fail delay would) while an unknown
# name is answered at once, and tells the two apart in its answer text.
# Usage: serial_helper.pl USERS-FILE
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BrokenHelper;

BrokenHelper::run(vrfy => sub {
  my ($seq, $args, $users) = @_;
  my $name = BrokenHelper::next_argument(\$args);
  my $password = BrokenHelper::next_argument(\$args);
  return 'ERROR VRFY needs name@domain and password' unless defined $password;
  my $known = $users->{lc $name};
  return 'ERROR unknown user' unless defined $known;   # the leak: its own words, and no delay
  return 'OK' if $known eq $password;
  select(undef, undef, undef, 0.06);
  return 'ERROR incorrect password';
});
