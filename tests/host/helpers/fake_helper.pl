#!/usr/bin/perl
# A misbehaving external authenticator for the host's tests. The first
# argument names the behaviour; a marker file (second argument) lets a
# behaviour change after the first run, to see the host restart it.
#   ok             answer every request OK (INTF with "OK 2")
#   crash-at-start exit at once
#   crash-in-flight  first run: read 50 requests, answer none, exit; later runs: ok
#   freeze         answer INTF, then read and never answer
#   twice          answer every request twice
#   unknown        answer each request with an unknown number first, then properly
#   garbage        first run: answer with a line that is not a response; later runs: ok
#   huge           first run: write a 10 MB line; later runs: ok
#   deaf           answer INTF, then stop reading standard input for good
#   slow-ok        answer each request OK after 200 ms
#   fds            answer each request OK with the list of its open descriptors
#   echo INTF-ANSWER  answer INTF with INTF-ANSWER ("ERROR", "OK", "OK 1", "INTF 9", ...: the
#                  seq is put in front), then every request OK with the request line
#                  after its seq (or "length N" for lines over 200 bytes)
#   intf-answer    answer each request but INTF with "seq INTF 2"
#   leading-zero   answer each request but INTF OK with a zero before its seq
#   garbage-always answer INTF with a line that is not a response, then keep reading
#   info-echo      before each answer, an information line quoting the request line
#   chatty         two information lines before every answer
#   reverse        answer INTF at once, the other requests three at a time, last first
#   linger         answer every request OK; at the end of input, stay for an hour
#   intf-high      answer INTF with "seq INTF 7"
use strict;
use warnings;
$| = 1;
my ($mode, $marker) = @ARGV;
$marker //= '';
my $first_run = 1;
if ($marker ne '' && $mode ne 'echo') {
  $first_run = !-e $marker;
  open(my $fh, '>>', $marker) or die; close($fh);
}
exit 1 if $mode eq 'crash-at-start';

sub answer {
  my ($line) = @_;
  my ($seq, $cmd) = split / /, $line;
  return "$seq OK 2\n" if defined $cmd && $cmd eq 'INTF';
  return "$seq OK\n";
}

my $count = 0;
while (my $line = <STDIN>) {
  chomp $line;
  my ($seq, $cmd) = split / /, $line;
  my $intf = defined $cmd && $cmd eq 'INTF';
  if ($mode eq 'ok') { print answer($line); next; }
  if ($mode eq 'fds') {
    if ($intf) { print answer($line); next; }
    opendir(my $dir, '/proc/self/fd') or die;
    my $own = fileno($dir);
    my @fds = sort { $a <=> $b } grep { /^\d+$/ && $_ != $own } readdir($dir);
    closedir($dir);
    print "$seq OK " . join(',', @fds) . "\n";
    next;
  }
  if ($mode eq 'slow-ok') { select(undef, undef, undef, 0.2); print answer($line); next; }
  if ($mode eq 'crash-in-flight') {
    if ($first_run) { next if $intf && print answer($line); exit 3 if ++$count >= 50; next; }
    print answer($line); next;
  }
  if ($mode eq 'freeze') { print answer($line) if $intf; next; }
  if ($mode eq 'twice') { print answer($line); print answer($line); next; }
  if ($mode eq 'unknown') { print "" . ($seq + 100000) . " OK\n" unless $intf; print answer($line); next; }
  if ($mode eq 'garbage') { print($first_run && !$intf ? "hello there\n" : answer($line)); next; }
  if ($mode eq 'huge') {
    if ($first_run && !$intf) { print "x" x (10 * 1024 * 1024); print "\n"; next; }
    print answer($line); next;
  }
  if ($mode eq 'echo') {
    my $rest = substr($line, length($seq) + 1);
    if ($intf) { print "$seq $marker\n"; next; }
    print "$seq OK " . (length($line) > 200 ? "length " . length($line) : $rest) . "\n";
    next;
  }
  if ($mode eq 'intf-answer') { print($intf ? answer($line) : "$seq INTF 2\n"); next; }
  if ($mode eq 'leading-zero') { print($intf ? answer($line) : "0$seq OK\n"); next; }
  if ($mode eq 'garbage-always') { print "hello there\n" if $intf; next; }
  if ($mode eq 'info-echo') {
    print "* checking: " . substr($line, length($seq) + 1) . "\n" unless $intf;
    print answer($line); next;
  }
  if ($mode eq 'chatty') { print "* one\n* two\n"; print answer($line); next; }
  if ($mode eq 'intf-high') { print($intf ? "$seq INTF 7\n" : answer($line)); next; }
  if ($mode eq 'reverse') {
    if ($intf) { print answer($line); next; }
    our @held; push @held, $line;
    if (@held == 3) { print answer($_) for reverse @held; @held = (); }
    next;
  }
  if ($mode eq 'linger') { print answer($line); next; }
  if ($mode eq 'deaf') { if ($intf) { print answer($line); next; } sleep 3600; }
  die "unknown mode $mode";
}
sleep 3600 if $mode eq 'linger';
