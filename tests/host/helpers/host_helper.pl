#!/usr/bin/perl
# External authenticators for the host's login tests. The first argument
# names the behaviour:
#   create-on-new AUTHHOST DATA PASSWORD
#       NEW name@domain: create the account through the host's local
#       administration entry point (authhost account create), with PASSWORD,
#       then answer OK (ERROR if that failed); VRFY and SASL: ERROR
#   count FILE   VRFY and SASL: append a line to FILE, wait 200 ms, answer
#                ERROR; NEW: ERROR
#   accept PASSWORD   VRFY with PASSWORD: OK; anything else: ERROR; the
#                request lines are appended to the file in $ENV{HOST_HELPER_LOG}
#   failure      every request but INTF: FAILURE
#   new-ok       NEW: OK without creating anything; anything else: ERROR
use strict;
use warnings;
$| = 1;
my ($mode, @args) = @ARGV;

sub log_line {
  my ($line) = @_;
  return unless $ENV{HOST_HELPER_LOG};
  open(my $fh, '>>', $ENV{HOST_HELPER_LOG}) or die; print $fh "$line\n"; close($fh);
}

while (my $line = <STDIN>) {
  chomp $line;
  my ($seq, $cmd, @rest) = split / /, $line;
  if (defined $cmd && $cmd eq 'INTF') { print "$seq OK 2\n"; next; }
  log_line($line);
  if ($mode eq 'failure') { print "$seq FAILURE backend down\n"; next; }
  if ($mode eq 'new-ok') { print(($cmd eq 'NEW') ? "$seq OK\n" : "$seq ERROR incorrect password\n"); next; }
  if ($mode eq 'count') {
    if ($cmd eq 'VRFY' || $cmd =~ /^SASL/) {
      open(my $fh, '>>', $args[0]) or die; print $fh "$line\n"; close($fh);
      select(undef, undef, undef, 0.2);
    }
    print "$seq ERROR incorrect password\n"; next;
  }
  if ($mode eq 'accept') {
    my $password = $rest[-1];
    print(($cmd eq 'VRFY' && $password eq $args[0]) ? "$seq OK\n" : "$seq ERROR incorrect password\n"); next;
  }
  if ($mode eq 'create-on-new') {
    my ($authhost, $data, $password) = @args;
    if ($cmd eq 'NEW') {
      my $name = $rest[0];
      open(my $pipe, '|-', $authhost, '--data', $data, 'account', 'create', $name, '--password-stdin') or die;
      print $pipe "$password\n";
      my $ok = close($pipe);
      print($ok ? "$seq OK\n" : "$seq ERROR cannot create $name\n"); next;
    }
    print "$seq ERROR incorrect password\n"; next;
  }
  die "unknown mode $mode";
}
