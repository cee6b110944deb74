#!/usr/bin/perl
# A deliberately broken helper for the conformance kit's tests: it splits
# the request line at spaces and strips one pair of quotes from the
# password, as CommuniGate's sample helper does. Passwords with a space,
# a quote, a backslash or a \ddd code are therefore never accepted.
# Usage: splitting_helper.pl USERS-FILE
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BrokenHelper;

BrokenHelper::run(vrfy => sub {
  my ($seq, $args, $users) = @_;
  my ($name, $password) = split(/ /, $args);
  return 'ERROR VRFY needs name@domain and password' unless defined $password;
  $password =~ s/\A"(.*)"\z/$1/;   # the flaw: no unescaping, and a space already cut the password
  my $known = $users->{lc $name};
  return 'OK' if defined $known && $known eq $password;
  return 'ERROR incorrect account name or password';
});
