#!/usr/bin/perl
# An external authenticator that provisions accounts: it runs a real helper
# (authd) behind it and passes every request through, except that when the
# helper answers OK to NEW name@domain (the directory behind it knows the
# name), it first creates the account in the host through the host's
# administration interface, with UseExtPassword on, so that the host finds
# it when it looks the name up again and checks the password through the
# helper.
#
#   provisioning_helper.pl AUTHHOST HOST:PORT ADMIN@DOMAIN PASSWORD_FILE -- HELPER [ARGS...]
#
# PASSWORD_FILE holds the administrator's password on its first line; it is
# handed to `authhost admin` on standard input, never on a command line.
# One request at a time: simple, and enough for a demonstration.
use strict;
use warnings;
use IPC::Open2;

my ($authhost, $endpoint, $admin, $password_file, $dashes, @helper) = @ARGV;
die "usage: $0 AUTHHOST HOST:PORT ADMIN\@DOMAIN PASSWORD_FILE -- HELPER [ARGS...]\n"
  unless defined $dashes && $dashes eq '--' && @helper;
$| = 1;
my $pid = open2(my $from_helper, my $to_helper, @helper);
$to_helper->autoflush(1);

sub provision {
  my ($name) = @_;
  open(my $pw, '<', $password_file) or return 0;
  my $password = <$pw>;
  close($pw);
  open(my $admin_in, '|-', $authhost, 'admin', '--connect', $endpoint, '--user', $admin) or return 0;
  print $admin_in $password, "CREATEACCOUNT $name\n", "UPDATEACCOUNTSETTINGS $name UseExtPassword=yes\n";
  return close($admin_in);
}

while (my $request = <STDIN>) {
  print $to_helper $request;
  my ($seq, $command, $name) = split / /, $request;
  chomp $name if defined $name;
  while (my $answer = <$from_helper>) {
    if ($answer =~ /^\* /) { print $answer; next; }
    if (defined $command && $command eq 'NEW' && $answer =~ /^\S+ OK/) {
      $answer = provision($name) ? "$seq OK\n" : "$seq FAILURE cannot create $name in the host\n";
    }
    print $answer;
    last;
  }
}
close($to_helper);
waitpid($pid, 0);
