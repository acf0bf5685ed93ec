resource "aws_security_group" "this" {
  name        = "${var.name}-service"
  description = "Tasks of ${var.name}: the app port from the load balancer only"
  vpc_id      = var.vpc_id

  tags = {
    Name = "${var.name}-service"
  }
}

# The app port, from the load balancer's security group and nothing else. The
# admin port (metrics, fault injection) gets no rule at all: only the collector
# sidecar reaches it, over the task's own loopback interface, which security
# groups do not filter.
resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.this.id
  description                  = "App port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = var.alb_security_group_id

  tags = {
    Name = "${var.name}-app-from-alb"
  }
}

# HTTPS to AWS APIs (ECR, CloudWatch Logs, Secrets Manager, X-Ray), through the
# VPC's interface endpoints or its NAT gateways. Their addresses are not known
# in advance, hence anywhere, but on this one port. DNS to the VPC resolver and
# the ECS task metadata endpoint are not subject to security groups.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs via VPC endpoints or NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = {
    Name = "${var.name}-https-out"
  }
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  security_group_id = aws_security_group.this.id
  description       = "PostgreSQL inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_ipv4         = var.vpc_cidr_block

  tags = {
    Name = "${var.name}-postgres-out"
  }
}
