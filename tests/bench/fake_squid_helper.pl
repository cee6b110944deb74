#!/usr/bin/perl
# A minimal Squid basic-auth helper, so that authload's squid mode is tested
# without Squid: "user password" lines, each field URL-escaped, answered in
# order with OK or ERR from a credentials file (name@domain<TAB>password).
# Usage: fake_squid_helper.pl CREDENTIALS [strip-domain]
use strict;
use warnings;

my ($file, $strip) = @ARGV;
open(my $credentials, '<', $file) or die "fake_squid_helper: $file: $!\n";
my %passwords;
while (my $line = <$credentials>) {
  chomp $line;
  my ($account, $password) = split(/\t/, $line, 2);
  $account =~ s/@.*// if $strip;
  $passwords{$account} = $password;
}
close($credentials);

sub unescape {
  my ($text) = @_;
  $text =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
  return $text;
}

$| = 1;
while (my $line = <STDIN>) {
  chomp $line;
  my ($user, $password) = split(/ /, $line, 2);
  $user = unescape($user);
  $password = unescape($password // '');
  my $known = exists $passwords{$user} && $passwords{$user} eq $password;
  print($known ? "OK\n" : "ERR message=\"bad credentials\"\n");
}
